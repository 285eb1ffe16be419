"""Sessions and logout: the bridge session that sign-ins join, ending it (RP-Initiated
Logout 1.0, consent withdrawal, grant revocation, expiry, a kiosk's "Finish"), and the
back-channel logout tokens (Back-Channel Logout 1.0) delivered from a durable queue."""
