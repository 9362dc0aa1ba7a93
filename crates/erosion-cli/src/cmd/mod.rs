//! One module per command.

pub mod audit;
pub mod demo;
pub mod export;
pub mod features;
pub mod forecast;
pub mod load;
pub mod monitor;
pub mod monitor_page;
pub mod monitor_performance;
pub mod simulate;
pub mod train;
pub mod validate;
