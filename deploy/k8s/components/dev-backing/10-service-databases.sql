-- One database per service; the development server trusts every connection.
CREATE DATABASE intake;
CREATE DATABASE scheduling;
CREATE DATABASE billing;
