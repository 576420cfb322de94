"""The foundation every layer may use: errors, identities, hashing, text safety."""
