"""One module per page: its layout function and its (thin) callbacks."""
