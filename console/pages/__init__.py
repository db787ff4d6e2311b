"""Console pages. Each module has `router = APIRouter()`; console.app.PAGE_MODULES lists them."""
