"""The gateway: the only public entry of the platform."""
