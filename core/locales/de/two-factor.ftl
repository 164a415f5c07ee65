## two-factor
