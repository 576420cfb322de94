"""The foundation every layer may use: identities, errors, text safety, and the late-bound hooks."""
