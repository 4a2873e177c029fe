"""Double-entry ledger, distribution policies, payouts and statements."""
