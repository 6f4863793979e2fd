"""Rewards: the competition metric terms and offline stand-ins."""
