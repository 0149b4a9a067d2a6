"""Blueprint package: the Front dashboard (/monitor/) for Front monitors and Inspection Board members."""
