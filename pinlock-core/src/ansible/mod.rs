//! Surgical rewriting of Ansible apt tasks to locked versions.
