"""placeholder"""
from flask import Blueprint

bp = Blueprint("problems", __name__)
