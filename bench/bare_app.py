"""The baseline for bench/progress_load.py: a bare FastAPI endpoint that validates a JSON body
like the progress one and answers JSON, with no database."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Body(BaseModel):
    unit: str
    done: str = ""
    percent: int


@app.post("/tasks/{task_id}/progress", status_code=201)
async def submit(task_id: str, body: Body) -> dict[str, object]:
    return {"task_id": task_id, "unit": body.unit, "percent": body.percent}
