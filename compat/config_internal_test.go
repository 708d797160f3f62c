package compat

import "testing"

func TestUnstablePackage(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"foo.v1alpha1": true, "foo.v1beta1": true, "foo.v1test": true, "foo.v2testfoo": true,
		"foo.v1alpha": true, "foo.v1p1beta1": true,
		"foo.v1": false, "foo": false, "v1alpha1": false, "foo.bar": false, "foo.v0alpha1": false, "foo.valpha1": false, "": false,
	}
	for pkg, want := range tests {
		if got := unstablePackage(pkg); got != want {
			t.Errorf("unstablePackage(%q) = %v, want %v", pkg, got, want)
		}
	}
}
