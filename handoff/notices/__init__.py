"""Proactive notices: we write to the shopper first when a parcel has a problem."""
