"""The intake service: where a patient enters the clinic group."""
