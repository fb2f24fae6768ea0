"""Build a small register and print what the programme board sees."""

import raidlog
from raidlog import Action, Body, Decision, Node, Risk

with raidlog.open("memory:", actor="ana") as reg:
    reg.put_node(Node(name="Group", level="corporate", body="ExCo"))
    reg.put_node(Node(name="Phoenix", level="programme", parent="Group", body="Programme board"))
    reg.put_node(Node(name="Phoenix CRM", level="project", parent="Phoenix", body="CRM board"))
    for body in ("ExCo", "Programme board", "CRM board"):
        reg.put_body(Body(name=body))

    risk = reg.add(
        Risk(
            title="Data migration slips past go-live",
            owner="bo",
            node="Phoenix CRM",
            body="CRM board",
            probability=4,
            impact=4,
        )
    )
    action = reg.add(Action(title="Dry-run the migration", owner="chen", node="Phoenix CRM"))
    reg.link(action, "mitigates", risk)
    reg.escalate(risk, "Programme board", reason="score 16 is above the project's tolerance")
    decision = reg.add(Decision(title="Freeze CRM scope", node="Phoenix", body="Programme board"))
    reg.transition(decision, "accepted", reason="agreed at the March board")

    print("Programme board view:")
    for item in reg.query(body="Programme board", order_by="-score"):
        score = getattr(item, "score", None)
        print(f"  {item.ref:<8} {item.kind:<9} {item.status:<10} {score or '':>3} {item.title}")
    print()
    print(f"{len(list(reg.events()))} events recorded; verify: {reg.verify().ok}")
