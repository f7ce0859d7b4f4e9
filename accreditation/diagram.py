"""The application state machine drawn for the help page, read from the transitions
declared on `Application.state` (django-fsm-2) and the labels in `workflow`, so the
picture and the table can never drift from the code. Pure data: the template draws it."""

from . import workflow
from .models import Application, ApplicationState

STATE_LAYOUT = {
    # state: (column, row) of the drawing; the procedure runs top to bottom in column 1.
    "draft": (1, 0),
    "returned": (0, 1),
    "submitted": (1, 1),
    "screening": (1, 2),
    "in_review": (1, 3),
    "clarification_requested": (2, 3),
    "withdrawn": (0, 4),
    "factual_check": (1, 4),
    "decision_pending": (1, 5),
    "appealed": (3, 5),
    "accredited": (0, 6),
    "conditionally_accredited": (1, 6),
    "rejected": (2, 6),
}


def state_machine_edges():
    """(source, target, transition) for every edge declared on `Application.state`,
    read from django-fsm-2, so the picture can never drift from the code."""
    field = Application._meta.get_field("state")
    edges = []
    for t in field.get_all_transitions(Application):
        targets = (
            list(t.target.allowed_states) if hasattr(t.target, "allowed_states") else [t.target]
        )
        for target in targets:
            if t.source in ("*", "+"):
                continue
            edges.append((str(t.source), str(target), t.name))
    return edges


def state_machine_svg():
    """The application state machine as SVG data: a box per state and one arrow per
    (source, target) pair labelled with its transitions; a pair of opposite arrows is bent
    apart so both stay readable. Positions come from STATE_LAYOUT; a state added to the
    model later is drawn in an extra row rather than left out."""
    gap_x, gap_y, box_w, box_h, margin = 260, 80, 170, 34, 20
    labels = dict(ApplicationState.choices)
    layout = dict(STATE_LAYOUT)
    extra_row = max(row for _, row in layout.values()) + 1
    for value, _label in ApplicationState.choices:
        if value not in layout:
            layout[value] = (0, extra_row)
            extra_row += 1
    # The decisions' row sits a little lower: the appeal arrows run between it and the row above.
    positions = {
        value: (margin + col * gap_x, margin + row * gap_y + (50 if row >= 6 else 0))
        for value, (col, row) in layout.items()
    }
    merged = {}
    for source, target, name in state_machine_edges():
        merged.setdefault((source, target), []).append(name)
    edges = []
    for (source, target), names in sorted(merged.items()):
        if target == "withdrawn":
            continue
        (x1, y1), (x2, y2) = positions[source], positions[target]
        cx1, cy1 = x1 + box_w / 2, y1 + box_h / 2
        cx2, cy2 = x2 + box_w / 2, y2 + box_h / 2
        sx, sy = _border(cx1, cy1, cx2, cy2, box_w, box_h)
        ex, ey = _border(cx2, cy2, cx1, cy1, box_w, box_h)
        bend = 22 if (target, source) in merged else 0
        dx, dy = ex - sx, ey - sy
        length = max((dx * dx + dy * dy) ** 0.5, 1)
        ox, oy = -dy / length * bend, dx / length * bend
        qx, qy = (sx + ex) / 2 + ox, (sy + ey) / 2 + oy
        if abs(dy) >= abs(dx):  # mostly vertical: the label beside the arrow
            anchor = "end" if ox < 0 else "start"
            lx, ly = (qx - 6 if ox < 0 else qx + 6), qy + 4
        else:  # mostly horizontal: the label above (or below, when bent down)
            anchor = "middle"
            lx, ly = qx, (qy + 14 if oy > 0 else qy - 6)
        edges.append(
            {
                "d": f"M{sx:.0f},{sy:.0f} Q{qx:.0f},{qy:.0f} {ex:.0f},{ey:.0f}",
                "label": ", ".join(sorted(names)),
                "lx": round(lx),
                "ly": round(ly),
                "anchor": anchor,
            }
        )
    states = [
        {
            "value": v,
            "label": labels[v],
            "x": positions[v][0],
            "y": positions[v][1],
            "tx": positions[v][0] + box_w // 2,
            "ty": positions[v][1] + 22,
        }
        for v, _ in ApplicationState.choices
    ]
    withdraw_sources = sorted(s for (s, t) in merged if t == "withdrawn")
    return {
        "states": states,
        "edges": edges,
        "box_w": box_w,
        "box_h": box_h,
        "width": 2 * margin + max(x for x, _ in positions.values()) + box_w - margin,
        "height": 2 * margin + max(y for _, y in positions.values()) + box_h - margin,
        "withdraw_sources": [labels[s] for s in withdraw_sources],
    }


def _border(cx, cy, tx, ty, w, h):
    """Where the line from a box's centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(
        (w / 2) / abs(dx) if dx else float("inf"), (h / 2) / abs(dy) if dy else float("inf")
    )
    return cx + dx * scale, cy + dy * scale


def transition_table(edges):
    """One row per transition: its name, its label from the catalogue, the states it leaves
    and the states it reaches, in the catalogue's order."""
    by_name = {}
    for source, target, name in edges:
        by_name.setdefault(name, {"sources": set(), "targets": set()})
        by_name[name]["sources"].add(source)
        by_name[name]["targets"].add(target)
    table = [
        {
            "name": name,
            "label": workflow.step(name).label,
            "sources": sorted(v["sources"]),
            "targets": sorted(v["targets"]),
        }
        for name, v in by_name.items()
    ]
    order = {name: i for i, name in enumerate(workflow.APPLICATION_TRANSITIONS)}
    table.sort(key=lambda row: order.get(row["name"], 99))
    return table
