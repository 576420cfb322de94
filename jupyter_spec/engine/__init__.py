"""The engine: who answers (providers), who judges (graders), and the runner, requester and store between them."""
