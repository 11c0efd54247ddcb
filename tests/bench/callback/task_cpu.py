# Controller CPU per task, for the benchmarks (not shipped with the collection).
#
# Run with forks=1 and one host:
#   ANSIBLE_CALLBACK_PLUGINS=tests/bench/callback ANSIBLE_CALLBACKS_ENABLED=task_cpu ANSIBLE_FORKS=1 \
#   TASK_CPU_OUT=/tmp/cpu.json ansible-playbook ...
# At each task start it reads os.times(): the controller's own CPU since the last mark belongs to the task that
# ran in between; a worker's CPU is counted only once the worker is reaped, which with one fork happens when the
# next task is queued, so a worker's CPU shows up one mark later and is moved back to its task here.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_cpu
type: aggregate
short_description: controller CPU per task (benchmarks only)
description: Controller CPU per task, written as JSON to TASK_CPU_OUT.
requirements: [forks=1, one host]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_cpu"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._marks = []  # (label, self cpu, children cpu) at each mark
        self._mark("(start)")

    def _mark(self, label):
        t = os.times()
        self._marks.append((label, t.user + t.system, t.children_user + t.children_system))

    def v2_playbook_on_play_start(self, play):
        self._mark("play: %s" % play.get_name())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._mark(task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._mark("handler: " + task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._mark("(end)")
        rows = []
        for i in range(len(self._marks) - 1):
            label, s0, c0 = self._marks[i]
            _, s1, c1 = self._marks[i + 1]
            own = s1 - s0
            # the worker of this task is reaped in the next interval
            if i + 2 < len(self._marks):
                worker = self._marks[i + 2][2] - self._marks[i + 1][2]
            else:
                worker = 0.0
            rows.append({"task": label, "controller": round(own, 4), "worker": round(worker, 4)})
        total = self._marks[-1][1] + self._marks[-1][2] - self._marks[0][1] - self._marks[0][2]
        out = os.environ.get("TASK_CPU_OUT")
        if out:
            with open(out, "w") as f:
                json.dump({"total": total, "rows": rows}, f, indent=1)
        top = sorted(rows, key=lambda r: -(r["controller"] + r["worker"]))[:25]
        self._display.display("task_cpu: %.2f CPU s in %d marks; top:" % (total, len(rows)))
        for r in top:
            self._display.display("  %6.3f %6.3f  %s" % (r["controller"], r["worker"], r["task"]))
