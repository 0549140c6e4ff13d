//! apigw-conformance (under construction).
