pub mod achievement;
pub mod category;
pub mod completion;
pub mod progress;
pub mod video;
pub mod workout;
