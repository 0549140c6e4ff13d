//! apigw-javaregex (under construction).
