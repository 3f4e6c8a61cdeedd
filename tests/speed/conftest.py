"""Tests that the fast paths of featurizing and normalizing give the same answers
as the plain formulations they replace."""
