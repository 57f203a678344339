//! The local meal planner: foods and portions that meet the targets.
