"""Blueprint package: supervision recommendations for the Front and the Inspection Board
(/monitor/recommendations): issue one, list them, read the unit's answer."""
