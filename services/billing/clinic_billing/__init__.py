"""The billing service: patient accounts, charges, the fee schedule and the ledger."""
