//! One module per command.

pub mod audit;
pub mod demo;
pub mod export;
pub mod features;
pub mod forecast;
pub mod load;
pub mod monitor;
pub mod simulate;
pub mod train;
pub mod validate;
