//! Driver against the virtual phone.
