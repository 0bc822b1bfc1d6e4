"""Intake: takes in a task-decomposition notice, keeps it as a draft a person can check, and
publishes its tasks as ``task.defined`` events. (The document parser comes in its own issue;
today a draft is posted as structured JSON.)"""
