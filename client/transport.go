package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc/credentials"
)

// TLS configures a TLS connection to the server. With CertFile and KeyFile
// set the client presents that certificate (mutual TLS) and re-reads the
// two files when either changes, at the next handshake, so that a rotated
// certificate is used by new connections without a restart.
type TLS struct {
	// RootCAFile is a PEM file of the CA certificates that sign the
	// server's certificate; empty means the system's roots.
	RootCAFile string
	// ServerName overrides the name checked against the server's
	// certificate (default: the host of the target), for tests and for
	// servers reached by an address that is not in their certificate.
	ServerName string
	// CertFile and KeyFile are the client certificate (PEM, the leaf first,
	// then any intermediates) and its private key, for mutual TLS.
	CertFile string
	KeyFile  string
}

// WithTLS makes the pool connect with TLS (version 1.2 or later) as t
// says. A pool needs exactly one of WithTLS, WithTransportCredentials and
// WithPlaintext.
func WithTLS(t TLS) Option {
	return func(c *config) {
		c.transport = append(c.transport, "client.WithTLS")
		c.tlsConf = &t
	}
}

// WithTransportCredentials makes the pool connect with the given grpc-go
// transport credentials, such as credentials.NewTLS of a tls.Config of
// your own or ALTS.
func WithTransportCredentials(creds credentials.TransportCredentials) Option {
	return func(c *config) {
		c.transport = append(c.transport, "client.WithTransportCredentials")
		if creds == nil {
			c.fail("client.WithTransportCredentials: nil credentials")
			return
		}
		c.creds = creds
	}
}

// WithPlaintext makes the pool connect without transport security, for
// loopback servers, local development and tests. Nothing protects the
// calls from being read or changed on the way.
func WithPlaintext() Option {
	return func(c *config) {
		c.transport = append(c.transport, "client.WithPlaintext")
		c.plaintext = true
	}
}

// Credentials returns the grpc-go transport credentials of t, as WithTLS
// uses them, for connections made outside a pool (grpc.NewClient). The
// root CA and client certificate are read now; a bad file is an error
// naming it.
func (t TLS) Credentials() (credentials.TransportCredentials, error) {
	return tlsCredentials(t)
}

// tlsCredentials builds the transport credentials of t, reading the root
// CA and the client certificate now so that New reports bad files.
func tlsCredentials(t TLS) (credentials.TransportCredentials, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.RootCAFile != "" {
		b, err := os.ReadFile(t.RootCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls root CA file %s: %w", t.RootCAFile, pathCause(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("tls root CA file %s: no certificates found", t.RootCAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return nil, fmt.Errorf("tls client certificate file %s: no key file; set KeyFile too", t.CertFile)
	case t.CertFile == "" && t.KeyFile != "":
		return nil, fmt.Errorf("tls client key file %s: no certificate file; set CertFile too", t.KeyFile)
	case t.CertFile != "":
		kp := &keyPair{certFile: t.CertFile, keyFile: t.KeyFile}
		if err := kp.load(); err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = kp.get
	}
	return credentials.NewTLS(cfg), nil
}

// pathCause is the cause of a file error without the path, which the
// caller's message names already.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// keyPair is a client certificate and key read from files, re-read when
// either file changes.
type keyPair struct {
	certFile, keyFile string

	mu    sync.Mutex
	cert  *tls.Certificate
	stamp [2]fileStamp
}

// fileStamp identifies a version of a file.
type fileStamp struct {
	mtime time.Time
	size  int64
	ino   uint64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	s := fileStamp{mtime: fi.ModTime(), size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s, nil
}

// load reads the pair; with an error it keeps the pair it had.
func (k *keyPair) load() error {
	cs, err1 := stampOf(k.certFile)
	ks, err2 := stampOf(k.keyFile)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("tls client certificate %s, key %s: %w", k.certFile, k.keyFile, pathCause(err))
	}
	cert, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		return fmt.Errorf("tls client certificate %s, key %s: %w", k.certFile, k.keyFile, pathCause(err))
	}
	k.cert = &cert
	k.stamp = [2]fileStamp{cs, ks}
	return nil
}

// get is tls.Config.GetClientCertificate: the current pair, re-read first
// when a file changed since it was read. A new pair that does not load
// (half written, key not matching) leaves the old one in use and is tried
// again at the next handshake.
func (k *keyPair) get(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cs, err1 := stampOf(k.certFile)
	ks, err2 := stampOf(k.keyFile)
	if err1 == nil && err2 == nil && [2]fileStamp{cs, ks} != k.stamp {
		_ = k.load() // on failure the old pair stays
	}
	return k.cert, nil
}
