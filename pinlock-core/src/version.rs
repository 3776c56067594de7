//! dpkg-exact version parsing and ordering.
