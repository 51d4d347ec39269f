//! The virtual certificate authority (under construction).
