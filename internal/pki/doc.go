// Package pki makes a throwaway public key infrastructure at run time for
// tests, the TLS conformance suite and the TLS benchmark: certificate
// authorities, server and client certificates (good ones and deliberately
// bad ones) and a JWT signer whose public keys are published as a JWKS file.
// Nothing it makes is meant to outlive the run, and no private key is ever
// committed: every key is generated afresh.
//
// Write puts a complete set into a directory:
//
//	set, err := pki.Write(t.TempDir())
//	// set.CA, set.ServerCert, set.ServerKey, set.ClientCert, ...
//	tok, err := set.Signer.Sign(set.Signer.Claims("alice", time.Minute, "inference.predict"), pki.RS256, "")
//
// Certificates use ECDSA P-256 keys (fast to make); the server certificate
// is valid for localhost, 127.0.0.1 and ::1. The signer holds an RSA 2048
// key (RS256) and an EC P-256 key (ES256); keys can be added and removed to
// test rotation, and BadToken makes the tokens a verifier must refuse.
package pki
