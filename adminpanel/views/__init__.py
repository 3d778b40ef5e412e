"""Admin Panel pages for owners and resellers, one module per section."""
