"""The ledger's HTTP API (private: other apps use services and selectors)."""
