"""The ID token rules, shared with the other relying parties in `mock_idps._id_token`."""

from mock_idps._id_token import CLOCK_SKEW, SAFE_ALGORITHMS, validate_id_token

__all__ = ["CLOCK_SKEW", "SAFE_ALGORITHMS", "validate_id_token"]
