//! OpenPGP verification of InRelease / Release.gpg against a signed-by keyring.
