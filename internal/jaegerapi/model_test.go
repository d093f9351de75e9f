package jaegerapi

import "testing"

func TestOrphans(t *testing.T) {
	child := func(id, parent string) Span {
		s := Span{SpanID: id}
		if parent != "" {
			s.References = []Reference{{RefType: ChildOf, SpanID: parent}, {RefType: FollowsFrom, SpanID: "linked"}}
		}
		return s
	}
	tr := Trace{Spans: []Span{child("root", ""), child("a", "root"), child("b", "a")}}
	if n := tr.Orphans(); n != 0 {
		t.Errorf("whole trace: %d orphans", n)
	}
	tr.Spans = append(tr.Spans, child("c", "missing"), child("d", "gone"))
	if n := tr.Orphans(); n != 2 {
		t.Errorf("two missing parents: %d orphans", n)
	}
	if n := (Trace{}).Orphans(); n != 0 {
		t.Errorf("empty trace: %d", n)
	}
}
