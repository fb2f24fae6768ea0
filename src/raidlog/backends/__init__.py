"""Storage backends: the contract (``base``) and the built-in stores."""
