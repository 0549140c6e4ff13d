//! apigw-vtl (under construction).
