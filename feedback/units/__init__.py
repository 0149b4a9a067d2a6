"""Blueprint package: the unit workspace (/unit/) for officers and unit heads."""
