//! apigw-jsonpath (under construction).
