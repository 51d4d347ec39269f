//! The virtual JPKI applet (under construction).
