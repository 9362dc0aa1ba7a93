//! One module per command.

pub mod demo;
pub mod features;
pub mod load;
pub mod simulate;
pub mod validate;
