//! apigw-mapping (under construction).
