package main

// giant renders a file like googleapis' compute.proto: one package, only
// well-known imports, thousands of messages with proto3 optional scalars and
// large field numbers, and a service every few resources, until the file
// holds target bytes.
func (rd *renderer) giantFile(p *planner, seed uint64, target int) string {
	f, r := rd.f, rd.r
	for rd.b.Len() < target {
		if r.IntN(5) == 0 {
			e := p.unique(f.pkg, func() string { return camel(pick(r, nouns)) + pick(r, enumSuffixes) })
			rd.b.WriteByte('\n')
			rd.enum(0, e)
			f.enums = append(f.enums, e)
		}
		res := p.unique(f.pkg, func() string { return camel(pick(r, qualifiers), pick(r, nouns)) })
		rd.b.WriteByte('\n')
		rd.message(0, res, 5, 40)
		f.msgs = append(f.msgs, res)
		if r.IntN(8) != 0 {
			continue
		}
		f.service = p.unique(f.pkg, func() string { return camel(pick(r, nouns)) + "s" })
		f.rpcs = f.rpcs[:0]
		for _, verb := range []string{"Get", "List", "Create", "Update", "Delete", "Cancel", "Move"}[:3+r.IntN(5)] {
			name := verb + res
			if verb == "List" {
				name += "s"
			}
			rp := rpcPlan{verb: verb, name: name, resource: typeRef{name: res, file: f}}
			if !p.take(f.pkg, name+"Request") {
				continue
			}
			rp.req = name + "Request"
			if verb == "List" && p.take(f.pkg, name+"Response") {
				rp.resp = name + "Response"
			}
			f.rpcs = append(f.rpcs, rp)
		}
		rd.service()
	}
	return rd.header(seed) + rd.b.String()
}
