"""Videos: the list and player (empty until a video is rendered; no videos/ folder is fine)."""

from timelapse.web.base import BaseHandler


class VideosPage(BaseHandler):
    page = True

    def get(self):
        videos = [{"name": name, "url": f"/videos/{rel}", "mb": size / 1e6,
                   "keogram": f"/videos/{rel.replace('.mp4', '-keogram.jpg')}" if keogram else None}
                  for name, rel, size, keogram in self.ctx.catalog.videos()]
        self.render_page("videos.html", videos=videos)
