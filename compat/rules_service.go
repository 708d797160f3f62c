package compat

import "strings"

// Service-level rules, over services matched by full name and their RPCs
// matched by name.

func (pr *pair) services(f func(cur, prev *serviceNode)) {
	for _, pf := range pr.prev.files {
		for _, ps := range pf.services {
			if cs, ok := pr.cur.services[string(ps.d.FullName())]; ok {
				f(cs, ps)
			}
		}
	}
}

func (pr *pair) methods(f func(cur, prev *methodNode)) {
	pr.services(func(cs, ps *serviceNode) {
		for _, pm := range ps.methods {
			if cm, ok := cs.byName[pm.p.GetName()]; ok {
				f(cm, pm)
			}
		}
	})
}

func (m *methodNode) at(elems ...int) place {
	return at(m.service.file, child(m.path, elems...))
}

func checkRpcNoDelete(pr *pair) {
	pr.services(func(cs, ps *serviceNode) {
		for _, pm := range ps.methods {
			if _, ok := cs.byName[pm.p.GetName()]; !ok {
				pr.report(at(cs.file, cs.path), at(ps.file, ps.path), `Previously present RPC %q on service %q was deleted.`, pm.p.GetName(), cs.p.GetName())
			}
		}
	})
}

func streaming(b bool) string {
	if b {
		return "streaming"
	}
	return "unary"
}

func checkRpcSameClientStreaming(pr *pair) {
	pr.methods(func(c, p *methodNode) {
		if p.p.GetClientStreaming() != c.p.GetClientStreaming() {
			pr.report(c.at(), p.at(), `RPC %q on service %q changed from client %s to client %s.`, c.p.GetName(), c.service.p.GetName(),
				streaming(p.p.GetClientStreaming()), streaming(c.p.GetClientStreaming()))
		}
	})
}

func checkRpcSameServerStreaming(pr *pair) {
	pr.methods(func(c, p *methodNode) {
		if p.p.GetServerStreaming() != c.p.GetServerStreaming() {
			pr.report(c.at(), p.at(), `RPC %q on service %q changed from server %s to server %s.`, c.p.GetName(), c.service.p.GetName(),
				streaming(p.p.GetServerStreaming()), streaming(c.p.GetServerStreaming()))
		}
	})
}

func checkRpcSameRequestType(pr *pair) {
	pr.methods(func(c, p *methodNode) {
		if p.p.GetInputType() != c.p.GetInputType() {
			pr.report(c.at(methodInputType), p.at(methodInputType), `RPC %q on service %q changed request type from %q to %q.`,
				c.p.GetName(), c.service.p.GetName(), typeName(p.p.GetInputType()), typeName(c.p.GetInputType()))
		}
	})
}

func checkRpcSameResponseType(pr *pair) {
	pr.methods(func(c, p *methodNode) {
		if p.p.GetOutputType() != c.p.GetOutputType() {
			pr.report(c.at(methodOutputType), p.at(methodOutputType), `RPC %q on service %q changed response type from %q to %q.`,
				c.p.GetName(), c.service.p.GetName(), typeName(p.p.GetOutputType()), typeName(c.p.GetOutputType()))
		}
	})
}

func checkRpcSameIdempotencyLevel(pr *pair) {
	pr.methods(func(c, p *methodNode) {
		before, after := p.p.GetOptions().GetIdempotencyLevel(), c.p.GetOptions().GetIdempotencyLevel()
		if before != after {
			pr.report(c.at(methodOptions, methodOptIdempotency), p.at(methodOptions, methodOptIdempotency),
				`RPC %q on service %q changed option "idempotency_level" from %q to %q.`, c.p.GetName(), c.service.p.GetName(), before.String(), after.String())
		}
	})
}

// typeName is how buf prints a request or response type.
func typeName(s string) string { return strings.TrimPrefix(s, ".") }
