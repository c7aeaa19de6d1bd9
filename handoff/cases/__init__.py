"""Cases: the one schema of a case record (email, order, issue type, resolution) and its writer."""
