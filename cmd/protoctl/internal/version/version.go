// Package version holds protoctl's version, part of every cache key so that
// a new protoctl never trusts what an old one cached.
package version

// Version is protoctl's semantic version.
const Version = "0.1.0-dev"
