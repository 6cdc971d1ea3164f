"""The kinds of rule a policy holds: bounds, rule values and the rule catalogue."""
