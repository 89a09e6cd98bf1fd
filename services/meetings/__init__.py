"""Organisational life (组织生活): roster, meetings, attendance, photos, the matrix and the branch book."""
